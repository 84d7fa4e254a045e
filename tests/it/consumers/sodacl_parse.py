"""Parses a SodaCL checks file with Soda Core 3.x's own parser (the one `soda scan` uses) and
prints what it made of it as JSON: the parser's errors and warnings, and every check it built,
as `[table, column or null, check class, source line]`. No data source is needed to parse."""

import json
import sys

from soda.scan import Scan

scan = Scan()
scan.set_data_source_name("contract")
with open(sys.argv[1], encoding="utf-8") as f:
    scan.add_sodacl_yaml_str(f.read())

checks = []
for data_source in scan._sodacl_cfg.data_source_scan_cfgs.values():
    for cfg in data_source.check_cfgs:
        checks.append([None, None, type(cfg).__name__, cfg.source_line])
    for table in data_source.tables_cfgs.values():
        for partition in table.partition_cfgs:
            for cfg in partition.check_cfgs:
                checks.append([table.table_name, None, type(cfg).__name__, cfg.source_line])
            for column in partition.column_checks_cfgs.values():
                for cfg in column.check_cfgs:
                    checks.append([table.table_name, column.column_name, type(cfg).__name__, cfg.source_line])

problems = [f"{log.level.name}: {log.message}" for log in scan._logs.logs if log.level.name in ("ERROR", "WARNING")]
print(json.dumps({"problems": problems, "checks": checks}))
