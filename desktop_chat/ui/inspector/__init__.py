"""The memory inspector: the next request's plan, why a reply said what it did, facts, summary, strategy."""
