"""Evaluation: metrics, the naive and classical baselines, retraining under each test protocol,
Diebold–Mariano and the Model Confidence Set, intervals, and the recommendation."""
