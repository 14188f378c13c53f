"""Shuxi (熟悉): drills rural cadres for the post-assessment of consolidated poverty-alleviation results."""
