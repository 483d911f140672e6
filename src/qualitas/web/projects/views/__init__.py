"""Project pages, one module per part of a project. Views are thin: scoped getters
fetch what the user may see (404 otherwise) and check what they may do (403), forms
check input, services change things."""
