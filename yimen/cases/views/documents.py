"""Stub: to be written."""

urlpatterns: list = []
