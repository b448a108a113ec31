"""Programme targets and how far each is met, from registry data and designations."""
