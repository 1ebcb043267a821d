"""Writes a big .xlsx (openpyxl write_only) for measurements: ROWS rows x 31 columns of the breast-cancer shape."""
import random
import sys

from openpyxl import Workbook

rows = int(sys.argv[1])
out = sys.argv[2]
random.seed(42)
wb = Workbook(write_only=True)
ws = wb.create_sheet("Data")
ws.append(["patient_id"] + [f"f{i}" for i in range(30)])
for r in range(rows):
    ws.append([f"P{r:07d}"] + [round(random.random() * 100, 4) for _ in range(30)])
wb.save(out)
