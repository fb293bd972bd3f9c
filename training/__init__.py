"""Writer traces to SFT/DPO datasets in TRL's formats, and TRL training recipes (planned)."""
