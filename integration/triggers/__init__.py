"""One blueprint per entry point. Triggers are thin: parse, call one service, answer."""
