"""Speech: prompt synthesis (recognition comes with the speech issue)."""
