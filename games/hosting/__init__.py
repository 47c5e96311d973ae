"""Game-server hosting: panel mirrors, panel and LMS clients, sync, drift, server lifecycle."""
