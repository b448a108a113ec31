"""Dynamic management (004 三(三)): a designation's yearly standing, as pure rules."""
