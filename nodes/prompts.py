"""Prompt texts of the writer graph, filled with str.format so a missing field fails loudly.

Two styles: `default` (structured outline, per-section briefs) and `longwriter_v`, which keeps
the paper's plan-then-write contract: the plan is text lines with a word count each, and every
step writes one part given the request, the plan, the text so far and the step.
"""

LANGUAGE_RULE = {
    "en": "Write in English.",
    "zh": "用中文写作。",
}

CAPTION_SYSTEM = (
    "You describe images for a writer who cannot see them. Be exact and complete: copy any "
    "visible text word for word (titles, bullet points, labels, numbers), then describe the "
    "layout, people, objects, charts and their values, colours, setting and mood. Report only "
    "what is visible; do not guess what lies outside the frame. {language_rule}"
)
CAPTION_USER = "Describe image {index} in detail."

OUTLINE_SYSTEM = (
    "You plan long documents before they are written. A plan divides the requested document "
    "into sections, says what each one covers and which images it draws on, and gives each "
    "section a word budget. The budgets must add up to the required length. {language_rule}"
)
OUTLINE_USER = (
    "Writing request:\n{instruction}\n\n"
    "Required length: {required_words} words in total (for Chinese, count characters).\n"
    "{images_text}\n"
    "Plan about {n_sections} sections. For each section give a title, the points it must "
    "cover, the numbers of the images it uses (an empty list if none), and its word budget.\n"
    "{feedback_text}"
)
OUTLINE_TEXT_FORMAT = (
    "Answer with the plan only, in exactly this form:\n"
    "Title: <document title>\n"
    "Section 1: <section title> | <budget> words | images: <numbers, or none>\n"
    "- <point>\n- <point>\n"
    "Section 2: ...\n"
)
OUTLINE_FEEDBACK = "A reviewer read an earlier plan and asks for this change:\n{feedback}\n"
IMAGES_WITH_CAPTIONS = "The request comes with {count} images, described here:\n{captions}\n"
IMAGES_ATTACHED = "The request comes with {count} images, attached in order (image 1 first).\n"
NO_IMAGES = "The request comes with no images.\n"

WRITE_SYSTEM = (
    "You are writing one section of a long document that follows an agreed plan. Write only "
    "your section, in full prose, and keep close to its word budget. Start with the line "
    "'## {section_title}'. Ground every claim about the images in what they show. "
    "{language_rule}"
)
WRITE_USER = (
    "Writing request:\n{instruction}\n\n"
    "Document title: {title}\n"
    "Plan:\n{plan}\n\n"
    "{context_text}"
    "Your section: {index} of {count}, '{section_title}'.\n"
    "It must cover:\n{points}\n"
    "{section_images}"
    "Write about {budget} words for this section (for Chinese, characters). "
    "{position_rule}"
)
CONTEXT_SEQUENTIAL = (
    "Text written so far:\n<<<\n{so_far}\n>>>\n\nContinue from it without repeating it.\n"
)
CONTEXT_PARALLEL = (
    "Other writers are writing the other sections at the same time: cover only your "
    "section's points and do not repeat what the plan gives to other sections.\n"
)
SECTION_IMAGES = "Images for this section (attached): {numbers}.\n{captions}"
FIRST_SECTION = "It opens the document: introduce the subject."
MIDDLE_SECTION = "Do not open or close the whole document; no summary at the end."
LAST_SECTION = "It ends the document: bring it to a proper close."

# The paper's contract in our words: a numbered text plan, then one step at a time.
LONGWRITER_PLAN_USER = (
    "I need a plan before writing. Here is the request:\n{instruction}\n\n{images_text}\n"
    "Break the document into numbered parts, about {n_sections} of them, totalling "
    "{required_words} words. Give one part per line, exactly like this:\n"
    "Paragraph 1 - Main Point: <what this part says, with the images it uses> - "
    "Word Count: <number> words\n"
    "Output the plan lines only. {language_rule}"
)
LONGWRITER_WRITE_USER = (
    "You are writing a long text step by step.\n"
    "Request:\n{instruction}\n\n"
    "Plan:\n{plan}\n\n"
    "Text written so far:\n{so_far}\n\n"
    "Now write step {index}: {step}\n"
    "Write only this step, about {budget} words, continuing the text so far. "
    "Do not restate earlier steps and do not add a conclusion unless this is the last "
    "step. {language_rule}"
)

STITCH_SYSTEM = (
    "You are the final editor of a document whose sections were written separately. You "
    "smooth the seams between sections without changing their content or length."
)
STITCH_USER = (
    "For each seam below you see the last paragraph of one section and the first paragraph "
    "of the next. Rewrite each next-section first paragraph so it follows on naturally "
    "from the paragraph before it: add a linking phrase, remove repeated introductions, keep "
    "its facts and about its length.\n\n{seams}\n\n"
    "Answer with one block per seam, in this form and nothing else:\n"
    "[[<section number>]]\n<rewritten first paragraph>\n"
)
STITCH_SEAM = (
    "Seam before section {index}:\nEND OF PREVIOUS:\n{tail}\nSTART OF SECTION {index}:\n{head}\n"
)

REVISE_SYSTEM = (
    "You revise one section of a long document to meet its word budget while keeping its "
    "heading, facts, order and tone. {language_rule}"
)
REVISE_USER = (
    "Writing request:\n{instruction}\n\n"
    "Section '{section_title}' must cover:\n{points}\n\n"
    "Current text ({words} words):\n<<<\n{text}\n>>>\n\n"
    "{action_rule} Aim for about {budget} words (for Chinese, characters). "
    "Answer with the full revised section only."
)
EXPAND_RULE = (
    "It is too short. Expand it: deepen each point with concrete detail, examples and what "
    "the images show; do not pad with repetition."
)
CONDENSE_RULE = (
    "It is too long. Condense it: cut repetition and digressions, keep every required point."
)
