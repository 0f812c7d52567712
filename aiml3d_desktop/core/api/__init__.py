"""The AIML API: its models, the request, the answer and the files it links to, and the key."""
