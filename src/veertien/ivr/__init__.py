"""Dialogue flows as data (play, gather, confirm, transfer, announce, hangup) and their runner."""
