"""Product descriptions: generation from the product's facts, validation, drafts and review."""
