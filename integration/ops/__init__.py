"""Operations: exceptions, timelines, retry/replay, resync, dashboard; used by the ops API and the CLI."""
