"""The statistics report (统计报告) drawn as files: the XLSX workbook with native charts, and
the same charts as a PDF or PNG. Each takes the sums already computed and returns bytes."""
