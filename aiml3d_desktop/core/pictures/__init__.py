"""Pictures: checked and decoded, the object found and framed, and the offline relief generator."""
