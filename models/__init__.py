"""Chat model backends behind one spec-string factory (see `factory.create_chat_model`)."""
