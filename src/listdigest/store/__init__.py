"""Run state and (later) the message index: beside the flow, used by ``pipeline``."""
