"""Speech: prompt synthesis (espeak-ng), recognition (Whisper, pocketsphinx) in worker
processes, the name matcher and the policy that turns what was heard into an action."""
