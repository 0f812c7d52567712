"""A scene planned from a sentence (issue 30), Qt-free: the planner's answer read as strictly
as a hostile file (every bad answer one PlanError that can be quoted back to the planner),
and the solver's placements checked exactly on hand-written plans."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiml3d_desktop.core.composition import plan as plans
from aiml3d_desktop.core.composition import solver
from aiml3d_desktop.core.composition.plan import Plan, PlanError, PlannedObject, Relation


def thing(name, size, at=(0.0, 0.0), count=1, yaw=0.0, description=None) -> dict:
    return {
        "name": name, "description": description or f"a {name} on a white background",
        "width": size[0], "depth": size[1], "height": size[2],
        "count": count, "x": at[0], "z": at[1], "yaw": yaw,
    }  # fmt: skip


def rel(kind, subject, target) -> dict:
    return {"kind": kind, "subject": subject, "target": target}


DESK = {
    "room": {"width": 4, "depth": 3},
    "mood": "daylight",
    "objects": [
        thing("desk", (1.2, 0.6, 0.75), at=(0.5, 0.0)),
        thing("lamp", (0.2, 0.2, 0.45), at=(5.0, 5.0)),
        thing("mug", (0.1, 0.1, 0.1), at=(0.0, -1.2)),
        thing("chair", (0.5, 0.5, 0.9)),
    ],
    "relations": [
        rel("against_wall", "desk", "back"),
        rel("on_top_of", "lamp", "desk"),
        rel("on_top_of", "mug", "desk"),
        rel("next_to", "mug", "lamp"),
        rel("in_front_of", "chair", "desk"),
        rel("facing", "chair", "desk"),
    ],
}


def test_a_plan_is_read_with_its_objects_relations_room_and_light():
    plan = plans.read_plan(json.dumps(DESK))
    assert [o.name for o in plan.objects] == ["desk", "lamp", "mug", "chair"]
    assert plan.object("desk").size == (1.2, 0.6, 0.75) and plan.room == (4.0, 3.0)
    assert plan.preset == "outdoor" and plan.placed == 4
    assert Relation("on_top_of", "lamp", "desk") in plan.relations
    # The schema sent asks for every field the reader reads, and nothing more.
    item = plans.SCHEMA["properties"]["objects"]["items"]
    assert set(item["required"]) == set(DESK["objects"][0]) and not item["additionalProperties"]


def broken(change) -> str:
    data = json.loads(json.dumps(DESK))
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ("not json at all", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"a": ' * 100_000 + "1" + "}" * 100_000, "not JSON"),  # nested past the parser
        (broken(lambda d: d.update(mood="disco")), "mood is not one of"),
        (broken(lambda d: d.update(objects=[])), "no objects"),
        (broken(lambda d: d["objects"][0].update(width=float("nan"))), "desk's width"),
        (broken(lambda d: d["objects"][0].update(height=1e9)), "not between"),
        (broken(lambda d: d["objects"][1].update(count=0)), "count is not a whole number"),
        (broken(lambda d: d["objects"][1].update(count=True)), "count is not a whole number"),
        (broken(lambda d: d["objects"][1].update(name="Desk")), "Two objects are named"),
        (broken(lambda d: d["objects"][1].update(name="")), "name is not a text"),
        (broken(lambda d: d["room"].update(width="wide")), "room width is not a number"),
        (broken(lambda d: d.update(objects=[thing(f"o{i}", (1, 1, 1)) for i in range(25)])),
         "at most 24"),
        (broken(lambda d: d.update(objects=[thing(f"o{i}", (1, 1, 1), count=12) for i in "abcde"])),
         "places 60 models"),
        (broken(lambda d: d["relations"].append(rel("under", "mug", "desk"))),
         "kind is not one of"),
        (broken(lambda d: d["relations"].append(rel("next_to", "cat", "desk"))),
         "'cat', which is no object"),
        (broken(lambda d: d["relations"].append(
            rel("against_wall", "chair", "ceiling"))), "no wall"),
        (broken(lambda d: d["relations"].append(rel("next_to", "mug", "mug"))),
         "to itself"),
        (broken(lambda d: d["relations"].append(rel("on_top_of", "desk", "mug"))),
         "rests on itself"),
        (broken(lambda d: d["relations"].append(rel("on_top_of", "mug", "chair"))),
         "on top of two things"),
        (broken(lambda d: d["objects"][0].update(width=10**400)), "desk's width is not between"),
        (broken(lambda d: d["relations"].append(rel("next_to", "desk", "mug"))), "in a circle"),
        (broken(lambda d: d["relations"].extend(
            [rel("behind", "chair", "lamp"), rel("next_to", "lamp", "chair")])), "in a circle"),
        (broken(lambda d: d["objects"].extend(
            [thing("cup", (0.1, 0.1, 0.1), count=2), thing("cup 2", (0.1, 0.1, 0.1))])),
         "as a copy of 'cup' is"),
        (broken(lambda d: d["objects"][1].update(name="ｄｅｓｋ")), "Two objects are named"),
        (broken(lambda d: d["objects"][1].update(name="desk\u200b")), "not printable"),
        (broken(lambda d: d["objects"][1].update(name="\x1b]0;pwned\x07lamp")), "not printable"),
        (broken(lambda d: d["objects"][0].update(width=5.0)), "does not fit in the 4 x 3 m"),
        (broken(lambda d: d["objects"][0].update(colour="red")), "a field the schema does not"),
        (json.dumps(DESK).replace('"mood": "daylight"', '"mood": "daylight", "mood": "x"'),
         "'mood' is given twice"),
    ],
)  # fmt: skip
def test_every_bad_answer_is_one_plan_error_saying_what(answer, said):
    with pytest.raises(PlanError, match=said):
        plans.read_plan(answer)


@settings(max_examples=300, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers(-(10**400), 10**400)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["room", "mood", "objects", "relations", "name", "width", "count", "kind",
                         "subject", "target", "x", "z", "yaw", "depth", "height", "description"]),
        inner, max_size=6),
    max_leaves=30,
))  # fmt: skip
def test_any_answer_is_a_plan_or_a_plan_error(data):
    try:
        text = json.dumps(data)
    except ValueError:
        return
    try:
        plan = plans.read_plan(text)
        placed = solver.solve(plan)
    except PlanError:
        return
    assert plan.objects and plan.placed <= plans.MAX_PLACED == 48
    assert len(placed) == plan.placed


def test_the_desk_scene_is_placed_exactly():
    placed = {p.name: p for p in solver.solve(plans.read_plan(json.dumps(DESK)))}
    desk, lamp, mug, chair = (placed[n] for n in ("desk", "lamp", "mug", "chair"))
    # Its back to the back wall (room 3 m deep), where it roughly was across.
    assert (desk.x, desk.y, desk.z, desk.yaw) == pytest.approx((0.5, 0.0, -1.2, 0.0))
    # On the desk's top, its rough place (far off) brought onto the desk's footprint.
    assert (lamp.x, lamp.y, lamp.z, lamp.support) == pytest.approx((1.0, 0.75, -1.0, "desk"))
    # Beside the lamp, on the side it was on (left), the gap between their boxes.
    assert (mug.x, mug.y, mug.z) == pytest.approx((1.0 - 0.1 - 0.05 - 0.05, 0.75, -1.0))
    # In front of the desk, turned to face it.
    assert (chair.x, chair.y, chair.z) == pytest.approx((0.5, 0.0, -1.2 + 0.3 + 0.05 + 0.25))
    assert abs(chair.yaw) == pytest.approx(180.0)


def test_things_on_the_same_support_do_not_overlap_and_stay_in_the_room():
    plan = Plan(
        objects=(
            PlannedObject("crate", "a crate", (1.0, 1.0, 1.0), position=(0.0, 0.0)),
            PlannedObject("box", "a box", (0.5, 0.5, 0.5), position=(0.1, 0.0)),
            PlannedObject("big", "a big thing", (2.0, 1.0, 1.0), position=(9.0, 9.0)),
        ),
        room=(6.0, 4.0),
    )
    crate, box, big = solver.solve(plan)
    assert (crate.x, crate.z) == (0.0, 0.0)
    assert (box.x, box.z) == pytest.approx((0.5 + 0.05 + 0.25, 0.0))  # moved aside, to the right
    assert (big.x, big.z) == pytest.approx((3.0 - 1.0, 2.0 - 0.5))  # into the room's corner


def test_copies_on_a_shelf_stand_in_a_row_on_it():
    plan = Plan(
        objects=(
            PlannedObject("shelf", "a shelf", (1.0, 0.3, 1.0)),
            PlannedObject("book", "a book", (0.05, 0.2, 0.25), count=3, position=(-0.4, 0.0)),
        ),
        relations=(Relation("on_top_of", "book", "shelf"),),
    )
    shelf, *books = solver.solve(plan)
    assert [b.name for b in books] == ["book", "book 2", "book 3"]
    xs = [b.x for b in books]
    assert xs == pytest.approx([-0.475, -0.375, -0.275])  # a row from its left, 5 cm apart
    assert all(b.y == shelf.top and b.support == "shelf" for b in books)
    assert all(abs(b.x - shelf.x) + b.half[0] <= shelf.half[0] + 1e-9 for b in books)


def test_a_turned_thing_against_a_side_wall_has_its_back_to_it():
    plan = Plan(
        objects=(PlannedObject("sofa", "a sofa", (2.0, 0.8, 0.8), position=(0.0, 0.5)),),
        relations=(Relation("against_wall", "sofa", "left"),),
        room=(5.0, 4.0),
    )
    (sofa,) = solver.solve(plan)
    assert sofa.yaw == 90.0  # its front to +X, into the room
    assert sofa.half == pytest.approx((0.4, 1.0))
    assert (sofa.x, sofa.z) == pytest.approx((-2.5 + 0.4, 0.5))


def test_a_model_s_real_size_takes_the_planned_one_s_place():
    plan = plans.read_plan(json.dumps(DESK))
    placed = {p.name: p for p in solver.solve(plan, sizes={"desk": (1.2, 0.6, 0.8)})}
    assert placed["lamp"].y == pytest.approx(0.8)  # on the model's real top
    assert solver.solve(plan) == solver.solve(plan)  # the same plan, the same placements


def test_relations_match_names_as_the_objects_do():
    data = json.loads(json.dumps(DESK))
    data["relations"] = [rel("on_top_of", "LAMP", " Desk ")]
    plan = plans.read_plan(json.dumps(data))
    assert plan.relations == (Relation("on_top_of", "lamp", "desk"),)


def overlapping(placed) -> list[tuple[str, str]]:
    """Pairs on the same support whose footprints overlap."""
    pairs = []
    for i, a in enumerate(placed):
        for b in placed[i + 1 :]:
            if a.support == b.support and min(solver._overlap(a, b)) > solver.GAP + 1e-9:
                pairs.append((a.name, b.name))
    return pairs


def test_a_support_moved_aside_carries_what_stands_on_it():
    """A desk placed on a chair's spot is moved aside before the lamp is put on it."""
    plan = Plan(
        objects=(
            PlannedObject("chair", "a chair", (0.5, 0.5, 0.9)),
            PlannedObject("desk", "a desk", (1.2, 0.6, 0.75)),
            PlannedObject("lamp", "a lamp", (0.2, 0.2, 0.45)),
        ),
        relations=(Relation("on_top_of", "lamp", "desk"),),
        room=(4.0, 4.0),
    )
    chair, desk, lamp = solver.solve(plan)
    assert overlapping([chair, desk]) == []
    assert lamp.y == desk.top and lamp.support == "desk"
    assert abs(lamp.x - desk.x) <= desk.half[0] - lamp.half[0] + 1e-9
    assert abs(lamp.z - desk.z) <= desk.half[1] - lamp.half[1] + 1e-9


def test_copies_on_a_support_fill_it_in_rows():
    plan = Plan(
        objects=(
            PlannedObject("stool", "a stool", (0.3, 0.3, 0.45)),
            PlannedObject("mug", "a mug", (0.1, 0.1, 0.1), count=4),
        ),
        relations=(Relation("on_top_of", "mug", "stool"),),
    )
    _, *mugs = solver.solve(plan)
    assert [v for m in mugs for v in (m.x, m.z)] == pytest.approx(
        [-0.1, -0.1, 0.05, -0.1, -0.1, 0.05, 0.05, 0.05]
    )  # two rows of two, from the back left
    assert overlapping(mugs) == [] and all(m.y == 0.45 for m in mugs)


def test_more_than_a_support_holds_is_refused_in_words():
    plan = Plan(
        objects=(
            PlannedObject("stool", "a stool", (0.3, 0.3, 0.45)),
            PlannedObject("mug", "a mug", (0.1, 0.1, 0.1), count=12),
        ),
        relations=(Relation("on_top_of", "mug", "stool"),),
    )
    with pytest.raises(PlanError, match="does not fit on the stool"):
        solver.solve(plan)


def test_chairs_round_a_table_stand_apart_in_the_room():
    plan = Plan(
        objects=(
            PlannedObject("table", "a table", (1.0, 1.0, 0.75)),
            PlannedObject("chair", "a chair", (0.5, 0.5, 0.9), count=3),
        ),
        relations=(Relation("next_to", "chair", "table"), Relation("facing", "chair", "table")),
        room=(4.0, 4.0),
    )
    placed = solver.solve(plan)
    assert overlapping(placed) == []
    for p in placed:
        assert abs(p.x) + p.half[0] <= 2.0 + 1e-9 and abs(p.z) + p.half[1] <= 2.0 + 1e-9


def test_a_corner_and_a_wall_kept_whatever_it_faces():
    plan = Plan(
        objects=(
            PlannedObject("tv", "a television", (1.0, 0.2, 0.6), position=(1.0, 0.0)),
            PlannedObject("plant", "a plant", (0.4, 0.4, 1.0)),
            PlannedObject("sofa", "a sofa", (2.0, 0.8, 0.8)),
        ),
        relations=(
            Relation("against_wall", "tv", "right"),
            Relation("against_wall", "plant", "back"),
            Relation("against_wall", "plant", "left"),
            Relation("against_wall", "sofa", "back"),
            Relation("facing", "sofa", "tv"),
        ),
        room=(5.0, 4.0),
    )
    tv, plant, sofa = solver.solve(plan)
    assert (plant.x, plant.z) == pytest.approx((-2.5 + 0.2, -2.0 + 0.2))  # in the corner
    assert sofa.yaw == 0.0 and sofa.z == pytest.approx(-2.0 + 0.4)  # its back to the wall
    assert tv.yaw == -90.0 and tv.x == pytest.approx(2.5 - 0.1)
    assert overlapping([tv, plant, sofa]) == []


def test_a_table_stands_on_the_rug_it_is_centred_on():
    plan = Plan(
        objects=(
            PlannedObject("rug", "a rug", (2.0, 1.5, 0.01)),
            PlannedObject("table", "a table", (1.0, 0.6, 0.75)),
        ),
        relations=(Relation("centred_on", "table", "rug"),),
    )
    rug, table = solver.solve(plan)
    assert (table.x, table.z) == (rug.x, rug.z) == (0.0, 0.0)


def test_a_name_with_an_unassigned_character_is_refused():
    """What a scene file would strip (so that its stand-in would no longer match the
    model made for it) is refused in a plan, and asked again."""
    answer = json.loads(json.dumps(DESK))
    answer["objects"][0]["description"] = "a wooden desk \U000e0fff"
    with pytest.raises(PlanError, match="not printable"):
        plans.read_plan(json.dumps(answer))
