# %% [markdown]
# # 00 · Start here
#
# Placeholder: the lesson is being written. It checks the environment and shows one slider.

# %%
import rope_course
from rope_course.explorers.preview import DynamicBasePreview

explorer = DynamicBasePreview()
explorer.show()
