"""Small pieces shared by the project's processes: the two web apps' security headers (the nurse
console and the demo page, headers.py), and a start-up without the libraries' deprecation
warnings (the Rasa and action servers, quiet.py)."""
