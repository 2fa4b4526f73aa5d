"""Provisioning and operations over SSH: provision, certificates, self-test, status, stats, updates."""
