"""Rule packs: the data files beside this module, their reader, and which packs apply."""
