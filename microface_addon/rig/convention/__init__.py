"""Rig conventions as data, with no ``bpy``: what the later stages read, and how it is matched.

The map (``rigmap``) — what detection produces and the bake, look-at, report and panel read:
    ``RigMap`` (channel → ``ShapeKeyTarget`` / ``BoneTarget`` / ``BoneLocationTarget`` /
    ``ObjectRotationTarget``, the ``Skeleton``, ``ObjectRoles``, the part choices, the report),
    ``Skeleton`` (role → bone, the character frame, ``assign`` for an override map's roles),
    ``ObjectRoles`` (head/eye objects), ``RigError``, ``NothingToMapError``.
    ``parts`` — one driver per moved part: ``PARTS``, ``PRECEDENCE``, ``Candidate``,
    ``decide`` → ``PartChoice``.
    ``landing`` — ``unlanded_cues``: the timeline's cues that move nothing on a character.

Conventions as data files:
    ``profiles`` — ``Profile`` (``KeyTarget``, ``Control``), ``load_profile``,
    ``available_profiles``/``find_profile`` on the pure search path (shipped folder, folders
    given, ``MICROFACE_PROFILE_PATH``; Blender's config folder is added by
    ``rig.scene.profile_folders``), ``ProfileError``, ``profiles/*.json`` + schema.
    ``overrides`` — a TD's per-character map: ``OverrideMap`` (``KeyOverride``,
    ``BoneOverride``, controls, ``skeleton`` roles), ``load_override_map``, ``as_override_map``.
    ``vrm`` — ``humanoid_bones``: VRM humanoid assignments an importer stored; the morph
    names Blender's glTF importer loses (``has_unnamed_targets``, ``morph_target_names``).

Matching names:
    ``names`` — ``normalise``, ``side_of``, ``NameIndex`` (tolerant look-up), ``is_helper``
    (DEF-/MCH-/ORG- bones: read, never keyed).
    ``scoring`` — ``score_profiles`` → ``Score`` (coverage); ``choose`` → ``Choice`` (best
    profile per kind of evidence, with ambiguous rivals and the runner-up).

Blender addresses:
    ``datapath`` — ``bone(name, prop)``, ``shape_key(name)``, ``shape_key_name(path)``,
    ``split``, ``escape``/``unescape``: every ``pose.bones["…"]`` / ``key_blocks["…"]`` path,
    escaped exactly as Blender escapes names.
"""
