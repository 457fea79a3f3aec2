"""Orders, fills, positions and the rules that guard them — shared by the paper broker and live orders."""
