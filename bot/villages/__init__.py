"""Village fact cards: fields, sheet import and template, village questions, the card."""
