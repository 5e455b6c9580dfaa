"""The kiosk's screens: thin widgets that call the controller and render its signals, nothing more.

``window.MainWindow`` stacks the pages (pairing, setup, scan, search, conflicts, settings) and lays the verdict
overlay over them; each page is a small widget of its own module.
"""
