"""Spaced-repetition practice: fsrs scheduling of bank entries as cards, and the deck a session
draws from. The cards themselves live in the user-data store (userdata/), keyed by entry id."""
