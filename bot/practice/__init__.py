"""Practice: question bank, curricula, spaced repetition, grading of fill-ins and interviews, generated questions, coverage."""
