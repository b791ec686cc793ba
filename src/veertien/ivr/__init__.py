"""Dialogue flows as data (typed steps with phases, choices resolved at run time), their runner,
the shared-area and department dialogues, and the prompt catalogue by language."""
