"""The box office: walk-up sales at the desk (``service``), printed tickets (``printing``), the shift report, and the
controller the box-office screens talk to (``controller``)."""
