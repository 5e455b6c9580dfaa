"""Scans that do not come from the camera: USB barcode scanners acting as keyboards."""
