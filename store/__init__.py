"""Where conversations are kept: the tracker store Rasa writes and the nurse console reads."""
