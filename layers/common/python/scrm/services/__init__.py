"""Use cases: what the functions call. Each module owns one area of the business."""
