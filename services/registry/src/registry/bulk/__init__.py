"""Bulk import (CSV, XLSX) and export of registry records."""
