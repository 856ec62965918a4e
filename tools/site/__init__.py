"""The course site (make docs): its builder."""
