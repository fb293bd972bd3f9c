"""Published MMLongBench-Write results (LongWriter-V paper, Table 1), for side-by-side reports.

They were computed by the released evaluation code, whose length score is the `released`
(swapped) formula; evaluate with `length_formula="released"` for a like-for-like S_l.
"""

PAPER_FORMULA = "released"

# model: (S, S_l, S_q)
TABLE_1 = {
    "Caption + GLM-4-9B-Chat": (71.3, 62.0, 80.6),
    "Caption + GPT-4o-2024-08-06": (77.1, 66.6, 87.5),
    "Caption + Mistral-Large-2407": (78.9, 69.6, 88.2),
    "Caption + DeepSeek-R1": (82.4, 70.3, 94.5),
    "MiniCPM-V2.6": (54.1, 30.3, 77.8),
    "Qwen2.5-VL-7B-Instruct": (54.4, 45.3, 63.5),
    "Qwen2.5-VL-72B-Instruct": (83.3, 79.9, 86.7),
    "Claude-3-Opus-20240229": (61.7, 41.5, 82.0),
    "GPT-4o-2024-08-06": (62.7, 42.7, 82.6),
    "Gemini-1.5-Pro": (83.0, 74.8, 91.2),
    "LongWriter-V-7B": (81.8, 82.5, 81.1),
    "LongWriter-V-7B-DPO": (84.6, 86.2, 82.9),
    "LongWriter-V-72B": (84.9, 84.3, 85.5),
}

# model: (S_l, S_q) per required-length bucket, in BUCKETS order
TABLE_1_BUCKETS = {
    "LongWriter-V-7B": ((63.3, 72.8), (87.8, 86.4), (81.2, 69.2), (86.8, 87.5)),
    "LongWriter-V-7B-DPO": ((69.5, 82.5), (90.5, 86.9), (87.1, 69.0), (87.4, 85.2)),
    "LongWriter-V-72B": ((73.2, 83.3), (86.2, 89.3), (88.4, 75.8), (81.4, 85.2)),
    "GPT-4o-2024-08-06": ((86.6, 91.2), (37.7, 83.1), (34.2, 71.6), (14.2, 88.4)),
}
