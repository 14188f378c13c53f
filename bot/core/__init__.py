"""The domain core: knowledge, matching, quizzes, storage and the dialog. It never imports telegram."""
