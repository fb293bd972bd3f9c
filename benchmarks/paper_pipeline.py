"""The paper's plan-then-write script, re-implemented as the baseline (benchmarks only).

One planning call with every image, then each step written in turn, every call carrying the
request, the plan, all text written so far and all the images. No captions, no routing, no
revision: what LongWriter-Agent-V's public script does, in the same prompts our writer uses
for `prompt_style="longwriter_v"`.
"""

from langchain_core.language_models import BaseChatModel

from longwriter_v.nodes import prompts
from longwriter_v.nodes.images import MAX_IMAGE_PIXELS, ImagePolicy, load_image
from longwriter_v.nodes.llm import language_rule, messages
from longwriter_v.nodes.outline_parse import parse_outline_text, section_count


async def paper_pipeline(
    model: BaseChatModel, instruction: str, images: list[str], required_words: int
) -> str:
    """Write the document the paper's way and return it."""
    policy = ImagePolicy.for_files(images)
    refs = [load_image(i + 1, f, policy, MAX_IMAGE_PIXELS) for i, f in enumerate(images)]
    rule = language_rule("en")
    plan_prompt = prompts.LONGWRITER_PLAN_USER.format(
        instruction=instruction,
        images_text=prompts.IMAGES_ATTACHED.format(count=len(refs)) if refs else "",
        n_sections=section_count(required_words),
        required_words=required_words,
        language_rule=rule,
    )
    plan = (await model.ainvoke(messages("", plan_prompt, refs))).text
    steps = parse_outline_text(plan, len(refs)).sections
    so_far = ""
    for i, step in enumerate(steps, 1):
        user = prompts.LONGWRITER_WRITE_USER.format(
            instruction=instruction,
            plan=plan,
            so_far=so_far or "(nothing yet)",
            index=i,
            step=f"Paragraph {i} - {step.title} - Word Count: {step.words} words",
            budget=step.words,
            language_rule=rule,
        )
        reply = await model.ainvoke(messages("", user, refs))
        so_far = f"{so_far}\n\n{reply.text}".strip()
    return so_far
