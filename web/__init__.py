"""The chat widget (web/widget/) and the demo clinic page server (web/server.py).

Run the demo: ``python -m web --port 8080 --bot-url http://localhost:5005``.
"""
