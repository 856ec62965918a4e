"""nbgrader (make nbgrader, make grade-proof): a course folder for the six steps, graded by nbgrader
itself."""
