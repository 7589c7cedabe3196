"""Small pieces shared by the project's two web apps (the nurse console and the demo page)."""
