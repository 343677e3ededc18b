"""Rendering: template files and an account's context become the text a channel sends."""
