"""Bulk files of registry records: reading uploaded CSV and XLSX files, the import template,
the cells of exports, and the importer process's loop. Their rules are
``registry.domain.imports``; their use cases ``registry.handlers.import_*`` and ``exports``."""
