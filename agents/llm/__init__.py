"""LLM traders: prompts, structured decisions, providers, the call cache and fault handling."""
