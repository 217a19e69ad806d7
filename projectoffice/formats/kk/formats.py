# Kazakh: 05.11.2025, 1 234 567,8 (Django ships no Kazakh formats).
DATE_FORMAT = "j E Y ж."
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "j E Y ж., H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
TIME_FORMAT = "H:i"
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\u00a0"
NUMBER_GROUPING = 3
FIRST_DAY_OF_WEEK = 1
