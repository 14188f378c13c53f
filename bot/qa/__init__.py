"""Policy Q&A: the knowledge base, the matcher, and answers that name their source in the plan."""
