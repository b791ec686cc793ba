"""Learning from calls: what callers said, how their call came out, and what that teaches.

- examples: one speech turn whose outcome is known (confirmed, corrected, chosen by key ...),
  with what the engines heard and how the candidates scored, and no caller number or audio;
- aliases: the pure learner that turns tallies of examples into learned aliases (a spoken form
  that repeatedly ends at one municipality), under rules that keep floods and single callers
  from teaching anything, and the reviews (approve, reject, freeze) an operator gives them;
- the learned set is versioned (its version in every call record) and can be rolled back.

Storage is storage.learning; the dialogue's side is call.learn; the portal's page is /leren.
"""
