"""The composition root: builds and runs one veertien node (SIP, dialogues, speech, records,
storage, the portal). The only package that imports both `call` and `portal`."""
