"""What every part of core stands on: errors, files, cancelling, progress stages."""
